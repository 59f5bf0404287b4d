def directory_overview():
    return {}

"""Themed science days (全国科普日, 科技活动周, …) and the events venues hold for them."""

"""The venue registry (登记注册), accreditation (认定) and the public directory."""

module kapi.local/pause

go 1.22

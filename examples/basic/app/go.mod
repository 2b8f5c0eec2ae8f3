module github.com/seed07617466/privaterdsapi/examples/basic/app

go 1.26

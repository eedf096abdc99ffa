module scf-cvm-project

go 1.26.0

require (
	github.com/stretchr/testify v1.12.1
	github.com/tencentyun/scf-go-lib v0.0.0-20230904103145-13c9a7eeca80
	golang.org/x/sync v0.25.0
	golang.org/x/time v0.16.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect

module sdkpeer

go 1.26.0

require (
	github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common v1.3.214 // indirect
	github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/cvm v1.1.0 // indirect
	github.com/tencentyun/scf-go-lib v0.0.0-20230904103145-13c9a7eeca80 // indirect
)

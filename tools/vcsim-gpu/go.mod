module github.com/llm-onprem/llm-onprem/tools/vcsim-gpu

go 1.24

require github.com/vmware/govmomi v0.46.3

require github.com/google/uuid v1.6.0 // indirect

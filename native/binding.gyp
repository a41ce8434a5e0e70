{
  "targets": [
    {
      "target_name": "kts_native",
      "sources": ["src/kts_native.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror=implicit-function-declaration"]
    }
  ]
}

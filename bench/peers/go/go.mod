module zokio.local/peers/go-hello

go 1.19

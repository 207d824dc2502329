// Go net/http peer of the benchmark comparison: "Hello, World!" on /, a JSON answer on /json.
//
//	go-hello PORT [WORKERS]   listens on 127.0.0.1:PORT; WORKERS sets GOMAXPROCS (default 1)
//
// net/http adds Date itself and answers a "Connection: close" request with Connection: close.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
	"strconv"
)

var (
	hello = []byte("Hello, World!")
	json  = []byte(`{"message":"Hello, World!"}`)
)

func reply(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	// Assigning the maps directly skips the canonicalisation Header.Set does on every call.
	h["Server"] = []string{"Go"}
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.Write(body)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go-hello PORT [WORKERS]")
		os.Exit(2)
	}
	workers := 1
	if len(os.Args) > 2 {
		workers, _ = strconv.Atoi(os.Args[2])
	}
	runtime.GOMAXPROCS(workers)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		reply(w, "text/plain", hello)
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		reply(w, "application/json", json)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Args[1], mux))
}

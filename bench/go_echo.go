// SPDX-License-Identifier: MIT
// A Go net/http echo for bench/run.sh: a stand-in for the serving core of echoip and ipify,
// answering GET /get/ip with "Your IP:  <peer host>". Standard library only; bench/run.sh
// builds it at bench time (GO111MODULE=off go build -o DIR/go_echo bench/go_echo.go).
//
//	go_echo PORT THREADS [TLS_PORT CERT KEY]    (listens on 127.0.0.1 only)
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
)

func main() {
	if len(os.Args) != 3 && len(os.Args) != 6 {
		log.Fatal("usage: go_echo PORT THREADS [TLS_PORT CERT KEY]")
	}
	threads, err := strconv.Atoi(os.Args[2])
	if err != nil || threads < 1 || threads > 256 {
		log.Fatal("go_echo: THREADS must be 1..256")
	}
	runtime.GOMAXPROCS(threads)
	mux := http.NewServeMux()
	mux.HandleFunc("/get/ip", func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "Your IP:  %s", host)
	})
	if len(os.Args) == 6 {
		go func() {
			log.Fatal(http.ListenAndServeTLS("127.0.0.1:"+os.Args[3], os.Args[4], os.Args[5], mux))
		}()
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Args[1], mux))
}

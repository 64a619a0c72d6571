package main

import (
	"database/sql"
	"fmt"
	"os"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	db, err := sql.Open("sqlite3", os.Args[1])
	if err != nil {
		panic(err)
	}
	for _, q := range os.Args[2:] {
		rows, err := db.Query("EXPLAIN QUERY PLAN " + q)
		if err != nil {
			fmt.Println(err)
			continue
		}
		for rows.Next() {
			var a, b, c int
			var d string
			rows.Scan(&a, &b, &c, &d)
			fmt.Println(a, b, d)
		}
		fmt.Println("--")
	}
}

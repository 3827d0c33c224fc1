from bench.cln_rpc import main

main()

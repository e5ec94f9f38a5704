import MemprofHTTP
print("memprof-http-demo")

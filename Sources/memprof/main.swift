import Memprof
print("memprof")

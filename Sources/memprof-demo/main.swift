import Memprof
print("demo")

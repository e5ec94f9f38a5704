// The OpenSSL API openssl_stacks.swift calls (swiftc -import-objc-header; libssl-dev).
#include <openssl/evp.h>
#include <openssl/ssl.h>

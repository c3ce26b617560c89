/* ex_common.h — the few lines PMDK's examples expect from their (unpackaged) build tree. */
#ifndef FAMSYNC_PMDK_EX_COMMON_H
#define FAMSYNC_PMDK_EX_COMMON_H
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#define CREATE_MODE_RW (S_IWUSR | S_IRUSR)
static inline int file_exists(char const *file) { return access(file, F_OK); }
static inline unsigned find_last_set_64(uint64_t val) { return 63 - (unsigned)__builtin_clzll(val); }
#endif

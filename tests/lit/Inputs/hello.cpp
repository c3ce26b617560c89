// C++ counterpart of hello.c for the famsync-c++ wrapper test.
#include <cstdio>
#include <vector>

int main() {
  std::vector<int> v(16);
  for (int i = 0; i < 16; i++)
    v[i] = i * i;
  std::printf("hello famsync++ %d\n", v[15]);
  return 0;
}

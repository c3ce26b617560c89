/* Instrumented code linked against Inputs/stale-runtime.c in abi-version.test. */
void put(int *p) { *p = 1; }
int main(void) { return 0; }

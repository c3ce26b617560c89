/* A runtime built for an older ABI version (2): it defines everything an
 * instrumented module needs except __fams_abi_version_3. */
unsigned long __fams_window_base, __fams_window_size;
char __fams_abi_version_1, __fams_abi_version_2;
void __fams_store4(void *a) { (void)a; }
void __fams_write_range(void *a, unsigned long n) { (void)a; (void)n; }
void __fams_module_init(void) {}

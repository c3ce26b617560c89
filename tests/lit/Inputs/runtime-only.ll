; A module with only runtime code (__fams_*): the pass must leave it alone.
define void @__fams_store4(i8* %p) {
  store i8 0, i8* %p
  ret void
}

; strcat writes strlen(src) + 1 bytes at dst + strlen(dst); strncat at most
; n + 1 bytes there.
; RUN: %opt -S %s | FileCheck %s

declare i8* @strcat(i8*, i8*)
declare i8* @strncat(i8*, i8*, i64)

define void @cat(i8* %d, i8* %s, i64 %n) {
; CHECK-LABEL: @cat(
; CHECK:     fams.hook:
; CHECK-NEXT:  [[DL:%.*]] = call i64 @strlen(i8* %d)
; CHECK-NEXT:  [[END:%.*]] = getelementptr i8, i8* %d, i64 [[DL]]
; CHECK-NEXT:  [[SL:%.*]] = call i64 @strlen(i8* %s)
; CHECK-NEXT:  [[LEN:%.*]] = add i64 [[SL]], 1
; CHECK-NEXT:  call preserve_mostcc void @__fams_before_write_range.pm(i8* [[END]], i64 [[LEN]])
; CHECK:       call i8* @strcat(i8* %d, i8* %s)
  %r = call i8* @strcat(i8* %d, i8* %s)
; CHECK:       [[DL2:%.*]] = call i64 @strlen(i8* %d)
; CHECK-NEXT:  [[END2:%.*]] = getelementptr i8, i8* %d, i64 [[DL2]]
; CHECK-NEXT:  [[LEN2:%.*]] = add i64 %n, 1
; CHECK-NEXT:  call preserve_mostcc void @__fams_before_write_range.pm(i8* [[END2]], i64 [[LEN2]])
; CHECK:       call i8* @strncat(i8* %d, i8* %s, i64 %n)
  %r2 = call i8* @strncat(i8* %d, i8* %s, i64 %n)
  ret void
}

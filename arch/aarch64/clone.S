/* SPDX-License-Identifier: MIT */
/*
 * long arch_clone(long nr, long a1, long a2, long a3,
 *                 int (*fn)(void *), void *arg)
 *                 x0       x1       x2       x3
 *                 x4                x5
 *
 * Issues clone3(a1 = args, a2 = size) or clone(a1 = flags, a2 = stack,
 * a3 = parent_tid, tls = 0, child_tid = 0) and returns its result in the
 * parent. The child starts on the new stack with the parent's registers:
 * fn and arg are kept in x9 and x10, which the syscall preserves; it calls
 * fn(arg) and exits with fn's return value.
 */
	.text
	.global arch_clone
	.hidden arch_clone
	.type arch_clone,%function
arch_clone:
	mov	x8, x0
	mov	x0, x1
	mov	x1, x2
	mov	x2, x3
	mov	x9, x4
	mov	x10, x5
	mov	x3, xzr
	mov	x4, xzr
	svc	#0
	cbnz	x0, 1f
	mov	x29, xzr		/* outermost frame for unwinders */
	mov	x30, xzr
	mov	x0, x10
	blr	x9			/* the stack top is 16-byte aligned */
	mov	x8, #93			/* exit */
	svc	#0
	brk	#0
1:	ret
	.size arch_clone, .-arch_clone

	.section .note.GNU-stack,"",%progbits

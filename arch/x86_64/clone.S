/* SPDX-License-Identifier: MIT */
/*
 * long arch_clone(long nr, long a1, long a2, long a3,
 *                 int (*fn)(void *), void *arg)
 *                 rdi      rsi      rdx      rcx      r8          r9
 *
 * Issues clone3(a1 = args, a2 = size) or clone(a1 = flags, a2 = stack,
 * a3 = parent_tid) and returns its result in the parent. The child starts on
 * the new stack with every register of the parent: fn and arg stay in r8 and
 * r9 (the syscall leaves them alone; clone ignores tls without CLONE_SETTLS),
 * it calls fn(arg) and exits with fn's return value.
 */
	.text
	.global arch_clone
	.hidden arch_clone
	.type arch_clone,@function
arch_clone:
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	xor	%r10d, %r10d
	syscall
	test	%rax, %rax
	jnz	1f
	xor	%ebp, %ebp		/* outermost frame for unwinders */
	mov	%r9, %rdi
	call	*%r8			/* the stack top is 16-byte aligned */
	mov	%eax, %edi
	mov	$60, %eax		/* exit */
	syscall
	hlt
1:	ret
	.size arch_clone, .-arch_clone

	.section .note.GNU-stack,"",@progbits

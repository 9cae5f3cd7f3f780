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

/*
 * Built with -mbranch-protection (BTI, PAC: Debian's and Ubuntu's default
 * flags on arm64 now), every object must say so in a GNU property note, or
 * the linker drops the protection from the whole library or program: this
 * one spills no return address, and is called indirectly nowhere but may
 * be, so it starts with a BTI landing pad (a no-op on older CPUs).
 */
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT == 1
#define BTI_C	hint	#34
#define FEATURE_BTI 1
#else
#define BTI_C
#define FEATURE_BTI 0
#endif
#if defined(__ARM_FEATURE_PAC_DEFAULT) && __ARM_FEATURE_PAC_DEFAULT != 0
#define FEATURE_PAC 2
#else
#define FEATURE_PAC 0
#endif

	.text
	.global arch_clone
	.hidden arch_clone
	.type arch_clone,%function
arch_clone:
	BTI_C
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

#if FEATURE_BTI || FEATURE_PAC
	.section .note.gnu.property,"a"
	.balign	8
	.long	4			/* name size */
	.long	16			/* descriptor size */
	.long	5			/* NT_GNU_PROPERTY_TYPE_0 */
	.asciz	"GNU"
	.long	0xc0000000		/* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
	.long	4
	.long	FEATURE_BTI | FEATURE_PAC
	.long	0			/* padding to 8 bytes */
#endif

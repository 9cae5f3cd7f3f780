/* SPDX-License-Identifier: MIT */
#ifndef CFORK_TYPED_H
#define CFORK_TYPED_H

/*
 * Typed child functions: CFORK_FN, CFORK_START, CFORK_CALL. <cfork.h>
 * includes this file in C; include <cfork.h>, not this file. It is C11
 * only: everything here is built on _Generic and _Static_assert.
 */
#ifdef __cplusplus
#error "cfork/typed.h: CFORK_FN, CFORK_START and CFORK_CALL are C only (built on C11 _Generic); in C++ register with CFORK_REGISTER and start with cfork() or cfork_spawn()"
#endif
#ifndef CFORK_H
#error "cfork/typed.h: include <cfork.h> instead"
#endif

/* ------------------------------------------------------------------------ */
/* Typed functions (checked at compile time)                                 */
/* ------------------------------------------------------------------------ */

/*
 * CFORK_FN(name, (type, param)...) { body }: define a child function with
 * typed parameters. The body is ordinary C that uses the parameters and
 * returns the exit status:
 *
 *	CFORK_FN(resize, (const char *, path), (int64_t, width),
 *		 (cfork_span, image))
 *	{
 *		... path, width, image.data, image.len ...
 *		return 0;
 *	}
 *
 *	cfork_proc *p;
 *	int r = CFORK_START(&p, NULL, resize, "in.png", 640,
 *			    cfork_span_of(img, img_len));
 *	int status = CFORK_CALL(resize, "in.png", 640,
 *				cfork_span_of(img, img_len));
 *
 * One CFORK_FN, at file scope, defines:
 *   - the registration of name, as CFORK_REGISTER does, with the signature
 *     spelled from the parameter types, so cfork("resize", ...) and
 *     cfork_spawnv() start it too, checked at run time as usual;
 *   - the decoder: name itself, a cfork_fn that reads each argument with its
 *     getter and calls the body (the child validated the payload against
 *     the signature before, so no getter fails);
 *   - typed launchers behind CFORK_START() and CFORK_CALL().
 *
 * Parameter types, and the cfork_type each is sent as: int64_t (CFORK_I64),
 * uint64_t (CFORK_U64), double (CFORK_F64), bool (CFORK_BOOL), const char *
 * (CFORK_STR), cfork_span (CFORK_BYTES), cfork_fd_t (CFORK_FD). Any other
 * type (int, long long, char *) is a compile error that names the parameter.
 * A string or a span the body gets points into the read-only mapping of the
 * payload: nothing is copied, and it stays valid until the child exits.
 * Zero to 16 parameters (more is a static assertion): CFORK_FN(name)
 * takes none.
 *
 * The launchers are static and the registration is per executable: define a
 * function once, in a .c file of the program, and start it with the macros
 * from that file (or by name with cfork() from any other).
 */

#define CFORK_FN(...)							\
	CFORK_T_CAT_(CFORK_T_FN_, CFORK_FEW_OR_MANY_(__VA_ARGS__))(__VA_ARGS__)
#define CFORK_T_FN_FEW_(...)						\
	CFORK_T_DEFINE_(CFORK_T_PARAMS_(__VA_ARGS__), __VA_ARGS__)
/* The body that follows still needs a function to stand in: one with no
   parameters, so that the assertion is the first error, not the last. */
#define CFORK_T_FN_MANY_(f, ...)					\
	_Static_assert(0, #f ": a CFORK_FN takes at most 16 parameters"); \
	static int cfork_T_body_##f(void)

/*
 * CFORK_START(ret_proc, attr, name, ...): cfork_spawnv() of the CFORK_FN
 * name, with its arguments checked by the compiler; same return values.
 * CFORK_CALL(name, ...): cfork_runv() of it with default attributes: the
 * exit status, 128 + signal, or a negative errno, as cfork() returns.
 *
 * Each is a compile error when name is not a CFORK_FN in scope (the message
 * names CFORK_FN_<name>), when the count of arguments differs from the count
 * of parameters ("resize: too many arguments for its CFORK_FN"), and when an
 * argument does not convert exactly to its parameter's type ("resize:
 * argument 2 (1.5) is not an int64_t: ..."). The conversions accepted are
 * those that keep every value of the argument's type, and integer constants
 * whose value fits:
 *
 *   int64_t      any integer type but bool and unsigned 64-bit types;
 *                an unsigned constant up to INT64_MAX (sizeof x, 640u)
 *   uint64_t     any unsigned integer type but bool;
 *                a non-negative constant (640)
 *   double       double, float, integer types of at most 32 bits;
 *                an integer constant within +-2^53
 *   bool         bool; the constants 0 and 1, which is what true and
 *                false are before C23 (a comparison is an int in C:
 *                pass (bool)(n > 1))
 *   const char * char * or const char * (a string literal); not NULL,
 *                which has type void *
 *   cfork_span   cfork_span only (cfork_span_of())
 *   cfork_fd_t   cfork_fd_t only (cfork_fd_of()): a bare int is refused
 *
 * So a double for an int64_t, an int variable for a bool, a negative int
 * for a uint64_t and a pointer for an integer are all errors, though plain
 * C converts them. The untyped forms, cfork() and cfork_spawnv(), still
 * take any name and values at run time.
 */
#define CFORK_START(ret_proc, attr, ...)				\
	CFORK_T_CAT_(CFORK_T_START_, CFORK_FEW_OR_MANY_(__VA_ARGS__))(	\
		ret_proc, attr, __VA_ARGS__)
#define CFORK_T_START_FEW_(ret_proc, attr, ...)			\
	(CFORK_T_CHECK_(__VA_ARGS__),					\
	 (CFORK_T_CAT_(cfork_T_start_, CFORK_FIRST_(__VA_ARGS__)))(	\
		(ret_proc), (attr) CFORK_T_REST_(__VA_ARGS__)))
#define CFORK_CALL(...)							\
	CFORK_T_CAT_(CFORK_T_CALL_, CFORK_FEW_OR_MANY_(__VA_ARGS__))(	\
		__VA_ARGS__)
#define CFORK_T_CALL_FEW_(...)						\
	(CFORK_T_CHECK_(__VA_ARGS__),					\
	 (CFORK_T_CAT_(cfork_T_run_, CFORK_FIRST_(__VA_ARGS__)))(	\
		NULL CFORK_T_REST_(__VA_ARGS__)))
/* No CFORK_FN has more than 16 parameters, so more arguments are always
   too many. */
#define CFORK_T_START_MANY_(ret_proc, attr, f, ...)			\
	((void)(ret_proc), (void)(attr), CFORK_T_TOO_MANY_(f))
#define CFORK_T_CALL_MANY_(f, ...) CFORK_T_TOO_MANY_(f)
#define CFORK_T_TOO_MANY_(f)						\
	(int)CFORK_FAIL_(#f ": too many arguments for its CFORK_FN "	\
			 "(at most 16)")

/*
 * Typed functions. A parameter is a (type, name) pair; everything here works
 * from one of three lists: "f, (t, n)..." in CFORK_FN, "f, x..." at a call,
 * and the literal indices 1..16 walked alongside either.
 */
#define CFORK_T_CAT_(a, b) CFORK_T_CAT2_(a, b)
#define CFORK_T_CAT2_(a, b) a##b
#define CFORK_T_TYPE_(t, n) t
#define CFORK_T_NAME_(t, n) n
#define CFORK_T_COMMA_() ,
#define CFORK_T_NONE_()
/* 0 for a name alone, 1 for a name and more: C11 has no __VA_OPT__. */
#define CFORK_T_ANY_(...) CFORK_COUNT2_(__VA_ARGS__, 1, 1, 1, 1, 1, 1, 1, \
	1, 1, 1, 1, 1, 1, 1, 1, 1, 0, ~)

/*
 * CFORK_T_EACH_(m, sep, f, a1, ..., an): m(f, 1, a1) sep() m(f, 2, a2) ...
 * The index is a literal, for pasting and for messages: the preprocessor
 * cannot count, so it is taken from a list that shrinks as the arguments
 * do (the trailing ~ keeps the last TAIL_ off an empty __VA_ARGS__).
 */
#define CFORK_T_EACH_(m, s, ...)					\
	CFORK_T_CAT_(CFORK_T_E, CFORK_COUNT_(__VA_ARGS__))(m, s,	\
		(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, ~), \
		__VA_ARGS__)
#define CFORK_T_HEAD_(i, ...) i
#define CFORK_T_TAIL_(i, ...) (__VA_ARGS__)
#define CFORK_T_APPLY_(m, f, i, a) m(f, i, a)
#define CFORK_T_E0(m, s, i, f)
#define CFORK_T_E1(m, s, i, f, a) CFORK_T_APPLY_(m, f, CFORK_T_HEAD_ i, a)
#define CFORK_T_E2(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E1(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E3(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E2(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E4(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E3(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E5(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E4(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E6(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E5(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E7(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E6(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E8(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E7(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E9(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E8(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E10(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E9(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E11(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E10(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E12(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E11(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E13(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E12(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E14(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E13(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E15(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E14(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E16(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E15(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)

/* The cfork_type letter of a parameter type, 0 for an unsupported one. */
#define CFORK_T_KIND_(t) _Generic((t *)0,				\
	int64_t *: 'i', uint64_t *: 'u', double *: 'd', bool *: 'b',	\
	const char **: 's', cfork_span *: 'y', cfork_fd_t *: 'f',	\
	default: 0)

static inline cfork_span cfork_T_arg_span_(const cfork_args *a, size_t i)
{
	cfork_span s;

	s.data = cfork_arg_bytes(a, i, &s.len);
	return s;
}
static inline cfork_fd_t cfork_T_arg_fd_(const cfork_args *a, size_t i)
{ return cfork_fd_of(cfork_arg_fd(a, i)); }
static inline cfork_value cfork_T_span_value_(cfork_span s)
{ return cfork_bytes(s.data, s.len); }
static inline cfork_value cfork_T_fd_value_(cfork_fd_t f)
{ return cfork_fd(f.fd); }

/* The getter and the value maker of a parameter type. An unsupported type
   has failed its _Static_assert already: the defaults only keep the
   compiler from piling more errors on top. */
#define CFORK_T_GETTER_(t) _Generic((t *)0,				\
	int64_t *: cfork_arg_i64, uint64_t *: cfork_arg_u64,		\
	double *: cfork_arg_f64, bool *: cfork_arg_bool,		\
	const char **: cfork_arg_str, cfork_span *: cfork_T_arg_span_,	\
	cfork_fd_t *: cfork_T_arg_fd_, default: cfork_arg_i64)
#define CFORK_T_MAKER_(t) _Generic((t *)0,				\
	int64_t *: cfork_i64, uint64_t *: cfork_u64,			\
	double *: cfork_f64, bool *: cfork_bool,			\
	const char **: cfork_str, cfork_span *: cfork_T_span_value_,	\
	cfork_fd_t *: cfork_T_fd_value_, default: cfork_i64)

/* What CFORK_FN generates, per parameter. */
#define CFORK_T_KIND_ENUM_(f, i, p) CFORK_T_KIND_ENUM2_(f, i, CFORK_T_TYPE_ p)
#define CFORK_T_KIND_ENUM2_(f, i, t) cfork_T_kind_##f##_##i = CFORK_T_KIND_(t),
#define CFORK_T_PCHECK_(f, i, p)					\
	CFORK_T_PCHECK1_(f, CFORK_T_TYPE_ p, CFORK_T_NAME_ p)
#define CFORK_T_PCHECK1_(f, t, n) CFORK_T_PCHECK2_(f, t, n)
#define CFORK_T_PCHECK2_(f, t, n)					\
	_Static_assert(CFORK_T_HOLDS_(CFORK_T_KIND_(t) != 0),		\
		"CFORK_FN(" #f "): "					\
		"parameter " #n " has type " #t ", but a parameter is "	\
		"int64_t, uint64_t, double, bool, const char *, "	\
		"cfork_span or cfork_fd_t");
#define CFORK_T_PARAM_(f, i, p) CFORK_T_TYPE_ p CFORK_T_NAME_ p
#define CFORK_T_LPARAM_(f, i, p) , CFORK_T_TYPE_ p CFORK_T_NAME_ p
#define CFORK_T_GET_(f, i, p)						\
	CFORK_T_GETTER_(CFORK_T_TYPE_ p)(cfork_T_args_, (i) - 1)
#define CFORK_T_SIGCH_(f, i, p) CFORK_T_KIND_(CFORK_T_TYPE_ p),
#define CFORK_T_VALUE_(f, i, p)						\
	CFORK_T_MAKER_(CFORK_T_TYPE_ p)(CFORK_T_NAME_ p),

/* Positions past the last parameter have kind 0, so that a call with too
   many arguments fails on its count alone. */
#define CFORK_T_PAD_(f, n) CFORK_T_CAT_(CFORK_T_PAD, n)(f)
#define CFORK_T_PAD16(f)
#define CFORK_T_PAD15(f) cfork_T_kind_##f##_16 = 0,
#define CFORK_T_PAD14(f) cfork_T_kind_##f##_15 = 0, CFORK_T_PAD15(f)
#define CFORK_T_PAD13(f) cfork_T_kind_##f##_14 = 0, CFORK_T_PAD14(f)
#define CFORK_T_PAD12(f) cfork_T_kind_##f##_13 = 0, CFORK_T_PAD13(f)
#define CFORK_T_PAD11(f) cfork_T_kind_##f##_12 = 0, CFORK_T_PAD12(f)
#define CFORK_T_PAD10(f) cfork_T_kind_##f##_11 = 0, CFORK_T_PAD11(f)
#define CFORK_T_PAD9(f) cfork_T_kind_##f##_10 = 0, CFORK_T_PAD10(f)
#define CFORK_T_PAD8(f) cfork_T_kind_##f##_9 = 0, CFORK_T_PAD9(f)
#define CFORK_T_PAD7(f) cfork_T_kind_##f##_8 = 0, CFORK_T_PAD8(f)
#define CFORK_T_PAD6(f) cfork_T_kind_##f##_7 = 0, CFORK_T_PAD7(f)
#define CFORK_T_PAD5(f) cfork_T_kind_##f##_6 = 0, CFORK_T_PAD6(f)
#define CFORK_T_PAD4(f) cfork_T_kind_##f##_5 = 0, CFORK_T_PAD5(f)
#define CFORK_T_PAD3(f) cfork_T_kind_##f##_4 = 0, CFORK_T_PAD4(f)
#define CFORK_T_PAD2(f) cfork_T_kind_##f##_3 = 0, CFORK_T_PAD3(f)
#define CFORK_T_PAD1(f) cfork_T_kind_##f##_2 = 0, CFORK_T_PAD2(f)
#define CFORK_T_PAD0(f) cfork_T_kind_##f##_1 = 0, CFORK_T_PAD1(f)

#define CFORK_T_PARAMS_(...)						\
	CFORK_T_CAT_(CFORK_T_PARAMS, CFORK_T_ANY_(__VA_ARGS__))(__VA_ARGS__)
#define CFORK_T_PARAMS0(f) (void)
#define CFORK_T_PARAMS1(...)						\
	(CFORK_T_EACH_(CFORK_T_PARAM_, CFORK_T_COMMA_, __VA_ARGS__))
/* The values, with one unused element after them: C11 has no empty
   initializer. */
#define CFORK_T_ARGV_(...) ((const cfork_value[]){			\
	CFORK_T_EACH_(CFORK_T_VALUE_, CFORK_T_NONE_, __VA_ARGS__)	\
	{ (cfork_type)0, { 0 } } })

/*
 * DEFINE1_ expands the count and the name, which DEFINE2_ pastes. The
 * decoder comes after the launchers so that it can mention them: clang
 * warns about a static inline function left unused in a .c file, and
 * marking them unused draws -Wused-but-marked-unused wherever they are.
 */
#define CFORK_T_DEFINE_(params, ...)					\
	CFORK_T_DEFINE1_(params, CFORK_COUNT_(__VA_ARGS__),		\
			 CFORK_FIRST_(__VA_ARGS__), __VA_ARGS__)
#define CFORK_T_DEFINE1_(...) CFORK_T_DEFINE2_(__VA_ARGS__)
#define CFORK_T_DEFINE2_(params, n, f, ...)				\
	enum {								\
		CFORK_FN_##f = n,					\
		CFORK_T_EACH_(CFORK_T_KIND_ENUM_, CFORK_T_NONE_, __VA_ARGS__) \
		CFORK_T_PAD_(f, n)					\
	};								\
	CFORK_T_EACH_(CFORK_T_PCHECK_, CFORK_T_NONE_, __VA_ARGS__)	\
	static int cfork_T_body_##f params;				\
	static inline int cfork_T_start_##f(cfork_proc **cfork_T_ret_,	\
		const cfork_attr *cfork_T_attr_				\
		CFORK_T_EACH_(CFORK_T_LPARAM_, CFORK_T_NONE_, __VA_ARGS__)) \
	{								\
		return cfork_spawnv(cfork_T_ret_, cfork_T_attr_, #f,	\
				    CFORK_T_ARGV_(__VA_ARGS__), n);	\
	}								\
	static inline int cfork_T_run_##f(const cfork_attr *cfork_T_attr_ \
		CFORK_T_EACH_(CFORK_T_LPARAM_, CFORK_T_NONE_, __VA_ARGS__)) \
	{								\
		return cfork_runv(cfork_T_attr_, #f,			\
				  CFORK_T_ARGV_(__VA_ARGS__), n);	\
	}								\
	static int f(const cfork_args *cfork_T_args_)			\
	{								\
		(void)cfork_T_args_;					\
		(void)cfork_T_start_##f;				\
		(void)cfork_T_run_##f;					\
		return cfork_T_body_##f(CFORK_T_EACH_(CFORK_T_GET_,	\
			CFORK_T_COMMA_, __VA_ARGS__));			\
	}								\
	static const char cfork_T_sig_##f[] = {				\
		CFORK_T_EACH_(CFORK_T_SIGCH_, CFORK_T_NONE_, __VA_ARGS__) 0 \
	};								\
	CFORK_REGISTER(f, cfork_T_sig_##f);				\
	static int cfork_T_body_##f params

/*
 * At a call: the value of x when it is an integer constant expression, and
 * otherwise 2^63, which every range below refuses (as it refuses a constant
 * 2^63: it fits no int64_t or bool, is past 2^53 for a double, and a
 * uint64_t takes it by its unsigned type). The test is that of Linux's
 * __is_constexpr: (void *)(e * 0) is a null pointer constant only when e is
 * an integer constant expression, and only then does the ?: have type
 * int *. What is not an integer becomes a call first, so that no struct is
 * cast and no floating constant passes for an integer one.
 */
static inline int cfork_T_not_constant_(void) { return 0; }
#define CFORK_T_INT_(x) _Generic((x),					\
	char: (x), signed char: (x), unsigned char: (x),		\
	short: (x), unsigned short: (x), int: (x), unsigned int: (x),	\
	long: (x), unsigned long: (x),					\
	long long: (x), unsigned long long: (x),			\
	default: cfork_T_not_constant_())
#define CFORK_T_CONST_(x) _Generic(					\
	(1 ? (void *)((long)CFORK_T_INT_(x) * 0) : (int *)0),		\
	int *: (x), default: 0x8000000000000000ull)

/*
 * Whether x may be passed for a parameter of each kind (the table at
 * CFORK_START). No comparison here is always true or always false for some
 * type of x, which -Wextra would report: a negative constant shows as a
 * negative long long or a huge unsigned long long, never through < 0.
 */
#define CFORK_T_OK_I64_(x) (_Generic((x),				\
	char: 1, signed char: 1, short: 1, int: 1, long: 1, long long: 1, \
	unsigned char: 1, unsigned short: 1,				\
	unsigned int: sizeof(unsigned) < 8,				\
	unsigned long: sizeof(unsigned long) < 8, default: 0) ||	\
	CFORK_T_CONST_(x) <= 0x7fffffffffffffff)
#define CFORK_T_OK_U64_(x) (_Generic((x),				\
	unsigned char: 1, unsigned short: 1, unsigned int: 1,		\
	unsigned long: 1, unsigned long long: 1, default: 0) ||		\
	(long long)CFORK_T_CONST_(x) >= 0)
/* Within +-2^53: shifted by 2^53 in unsigned arithmetic when x is signed
   (a negative constant wraps into range), compared as it is otherwise. */
#define CFORK_T_OK_F64_(x) (_Generic((x),				\
	float: 1, double: 1,						\
	char: 1, signed char: 1, unsigned char: 1,			\
	short: 1, unsigned short: 1,					\
	int: sizeof(int) <= 4, unsigned int: sizeof(int) <= 4,		\
	long: sizeof(long) <= 4, unsigned long: sizeof(long) <= 4,	\
	default: 0) ||							\
	(_Generic((x), char: 1, signed char: 1, short: 1, int: 1,	\
		  long: 1, long long: 1, default: 0) ?			\
	 (unsigned long long)CFORK_T_CONST_(x) + 0x20000000000000u <=	\
		0x40000000000000u :					\
	 (unsigned long long)CFORK_T_CONST_(x) <= 0x20000000000000u))
#define CFORK_T_OK_BOOL_(x) (_Generic((x), bool: 1, default: 0) ||	\
	(unsigned long long)CFORK_T_CONST_(x) <= 1)
#define CFORK_T_OK_STR_(x) _Generic((x),				\
	char *: 1, const char *: 1, default: 0)
#define CFORK_T_OK_SPAN_(x) _Generic((x), cfork_span: 1, default: 0)
#define CFORK_T_OK_FD_(x) _Generic((x), cfork_fd_t: 1, default: 0)

/*
 * c as the literal 1 or 0, chosen by the type char (*)[1 + !!c]: clang quotes
 * a failed static assertion's condition in full unless it is a literal (and
 * it looks through _Generic to see), and the full condition is pages long.
 */
#define CFORK_T_HOLDS_(c)						\
	_Generic((char (*)[1 + !!(c)])0, char (*)[2]: 1, default: 0)

/* The checks at a call, as members of a struct that sizeof never makes:
   a _Static_assert can stand there, inside an expression. */
#define CFORK_T_CHECK_(...)						\
	(void)sizeof(struct {						\
		CFORK_T_ARITY_(CFORK_FIRST_(__VA_ARGS__),		\
			       CFORK_COUNT_(__VA_ARGS__))		\
		CFORK_T_EACH_(CFORK_T_ARG_, CFORK_T_NONE_, __VA_ARGS__)	\
		int cfork_T_unused_;					\
	})
#define CFORK_T_ARITY_(f, n) CFORK_T_ARITY2_(f, n)
#define CFORK_T_ARITY2_(f, n)						\
	_Static_assert(CFORK_T_HOLDS_(CFORK_FN_##f <= n),		\
		#f ": too few arguments for its CFORK_FN");		\
	_Static_assert(CFORK_T_HOLDS_(CFORK_FN_##f >= n),		\
		#f ": too many arguments for its CFORK_FN");
#define CFORK_T_ARG_(f, i, x)						\
	CFORK_T_EXPECT_(f, i, x, 'i', CFORK_T_OK_I64_(x), "an int64_t: " \
		"an integer type that fits, or an integer constant in range") \
	CFORK_T_EXPECT_(f, i, x, 'u', CFORK_T_OK_U64_(x), "a uint64_t: " \
		"an unsigned integer type, or a non-negative integer "	\
		"constant")						\
	CFORK_T_EXPECT_(f, i, x, 'd', CFORK_T_OK_F64_(x), "a double: "	\
		"double, float, an integer type of at most 32 bits, or an " \
		"integer constant within 2^53")				\
	CFORK_T_EXPECT_(f, i, x, 'b', CFORK_T_OK_BOOL_(x), "a bool: "	\
		"bool, or the constant 0 or 1")				\
	CFORK_T_EXPECT_(f, i, x, 's', CFORK_T_OK_STR_(x), "a string: "	\
		"char * or const char *")				\
	CFORK_T_EXPECT_(f, i, x, 'y', CFORK_T_OK_SPAN_(x), "a cfork_span: " \
		"make one with cfork_span_of(data, len)")		\
	CFORK_T_EXPECT_(f, i, x, 'f', CFORK_T_OK_FD_(x), "a cfork_fd_t: " \
		"make one with cfork_fd_of(fd)")
#define CFORK_T_EXPECT_(f, i, x, k, ok, what)				\
	_Static_assert(CFORK_T_HOLDS_(cfork_T_kind_##f##_##i != (k) || (ok)), \
		#f ": argument " #i " (" #x ") is not " what);
#define CFORK_T_LARG_(f, i, x) , x
#define CFORK_T_REST_(...)						\
	CFORK_T_EACH_(CFORK_T_LARG_, CFORK_T_NONE_, __VA_ARGS__)

#endif /* CFORK_TYPED_H */

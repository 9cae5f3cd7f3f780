/* SPDX-License-Identifier: MIT */
/*
 * A library that lost a symbol it never calls (tests/progs/lazy_symbol.c):
 * lazily bound, a program that loads it runs; bound at once, it cannot
 * start.
 */
void lazy_symbol_nowhere(void);
int lazy_symbol_lib_loaded(void);
void lazy_symbol_lib_never(void);

int lazy_symbol_lib_loaded(void)
{
	return 1;
}

void lazy_symbol_lib_never(void)
{
	lazy_symbol_nowhere();
}

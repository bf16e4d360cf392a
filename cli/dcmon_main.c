/* dcmon CLI entry point (owned by the api branch). */
#include <stdio.h>
int main(void)
{
	fputs("dcmon: not built yet\n", stderr);
	return 1;
}

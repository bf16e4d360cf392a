/* dcmond entry point (being written on main; see core/daemon.c). */
#include <stdio.h>
int main(void)
{
	fputs("dcmond: not built yet\n", stderr);
	return 1;
}

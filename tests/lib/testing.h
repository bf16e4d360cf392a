/* Common includes for cmocka unit tests. */
#ifndef DCMON_TESTING_H
#define DCMON_TESTING_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif

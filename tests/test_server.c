#include "test.h"
PL_TEST(placeholder) {}
PL_TEST_MAIN(PL_CASE(placeholder))

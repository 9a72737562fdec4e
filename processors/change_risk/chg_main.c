/**
 * @file chg_main.c
 * @brief vigie-change: scores every change before it is implemented.
 */
#include "chg_proc.h"

int main(int argc, char **argv)
{
        return vg_proc_main(&chg_processor, argc, argv);
}

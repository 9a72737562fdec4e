/**
 * @file inc_main.c
 * @brief vigie-incident: enriches every incident as it is opened.
 */
#include "inc_proc.h"

int main(int argc, char **argv)
{
        return vg_proc_main(&inc_processor, argc, argv);
}

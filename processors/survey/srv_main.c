/**
 * @file srv_main.c
 * @brief vigie-survey: scores every survey verbatim, privately.
 */
#include "srv_proc.h"

int main(int argc, char **argv)
{
        return vg_proc_main(&srv_processor, argc, argv);
}

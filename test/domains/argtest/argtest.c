/*
 * argtest: SPAWN_ cases about what a spawned domain finds when it starts.
 * Run as   argtest one "two words" three   (see site_scons/run_tests.py):
 * the expected arguments are pinned here and in that command line.
 */
#include <aos/utest.h>
#include <aos/caps.h>
#include <aos/dispatch.h>
#include <autarky/bootinfo.h>
#include <autarky/layout.h>
#include <string.h>

static int g_argc;
static char **g_argv;

static void args(void)
{
    static const char *const want[] = { "argtest", "one", "two words", "three" };

    UEXPECT_EQ("argc", g_argc, 4);
    for (int i = 0; i < 4; i++) {
        UEXPECT(strcmp(g_argv[i], want[i]) == 0, "argv[%d] is '%s', expected '%s'",
                i, g_argv[i], want[i]);
    }
    UEXPECT(g_argv[4] == NULL, "argv[argc] is not NULL");
}

/* The dispatcher is named after the program and knows its domain id. */
static void dispatcher(void)
{
    struct dispatcher_shared *disp = get_dispatcher();

    UEXPECT(strcmp(disp->name, "argtest") == 0, "dispatcher name '%s'", disp->name);
    UEXPECT(disp->domain_id != 0, "domain id 0 (init's)");
    UEXPECT(get_bootinfo() == NULL, "a spawned domain sees boot info");
}

/* The cspace the spawner built: TASKCN slots hold the right types. */
static void cspace(void)
{
    static const struct { cslot_t slot; enum objtype type; } want[] = {
        { TASKCN_SLOT_TASKCN, ObjType_L2CNode }, { TASKCN_SLOT_DISPATCHER, ObjType_Dispatcher },
        { TASKCN_SLOT_ROOTCN, ObjType_L1CNode }, { TASKCN_SLOT_DISPFRAME, ObjType_Frame },
        { TASKCN_SLOT_ARGSPAGE, ObjType_Frame }, { TASKCN_SLOT_INITEP, ObjType_Endpoint },
    };
    struct capability_info ci;

    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        UEXPECT_OK(cap_identify(CPTR(ROOTCN_SLOT_TASKCN, want[i].slot), &ci));
        UEXPECT_EQ("TASKCN slot type", ci.type, want[i].type);
    }
    UEXPECT_OK(cap_identify(CAP_VNODE_L1, &ci));
    UEXPECT_EQ("PAGECN slot 0", ci.type, ObjType_VNode_L1);
    /* no Kernel cap, no boot info, no device frames */
    UEXPECT_ERR(cap_identify(CAP_KERNEL, &ci), SYS_ERR_SLOT_EMPTY);
    UEXPECT_ERR(cap_identify(CAP_UART, &ci), SYS_ERR_SLOT_EMPTY);
    UEXPECT_ERR(cap_identify(CPTR(ROOTCN_SLOT_SUPERCN, 0), &ci), SYS_ERR_L2_CNODE_NOT_FOUND);
}

static const struct utest_case spawn_cases[] = {
    { "SPAWN_ARGS", args },
    { "SPAWN_DISPATCHER", dispatcher },
    { "SPAWN_CSPACE", cspace },
    UTEST_END
};

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    utest_run(spawn_cases);
    return utest_finish();
}

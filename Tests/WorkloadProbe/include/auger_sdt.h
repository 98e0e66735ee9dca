/* USDT markers for the test workload and the conformance helpers, written in the format
 * SystemTap's <sys/sdt.h> defines and tracers read (.note.stapsdt): a nop
 * where the marker is, and a note with its address, the link-time address
 * of .stapsdt.base (to undo prelinking), the semaphore's address (0: none),
 * the provider, the name, and each argument as SIZE@OPERAND — SIZE in
 * bytes, negative for signed values, OPERAND as the compiler places the
 * value (a register, an immediate, memory).
 *
 *   AUGER_SDT(provider, name, semaphore, "ARGSPEC", operands...)
 * ARGSPEC names each operand, e.g. "-8@%0 8@%1", and the operands are asm
 * input constraints: AUGER_SDT(tracetest, testprobe, 0, "-8@%0 8@%1",
 * "nor"(n), "nor"(text)). */
#ifndef AUGER_SDT_H
#define AUGER_SDT_H

#define AUGER_SDT_STR(x) #x

#define AUGER_SDT(provider, name, semaphore, args, ...) \
    AUGER_SDT_NAMED(AUGER_SDT_STR(provider), AUGER_SDT_STR(name), semaphore, args, __VA_ARGS__)

/* The same with the provider and name as the text of assembler strings,
 * for names a C identifier cannot spell: "\\\"probe1\\\"" names the probe
 * "probe1", quotes included. */
#define AUGER_SDT_NAMED(provider, name, semaphore, args, ...)                 \
    __asm__ __volatile__(                                                     \
        "990: nop\n"                                                          \
        ".pushsection .note.stapsdt,\"\",\"note\"\n"                          \
        ".balign 4\n"                                                         \
        ".4byte 992f-991f, 994f-993f, 3\n"                                    \
        "991: .asciz \"stapsdt\"\n"                                           \
        "992: .balign 4\n"                                                    \
        "993: .8byte 990b\n"                                                  \
        ".8byte _.stapsdt.base\n"                                             \
        ".8byte " AUGER_SDT_STR(semaphore) "\n"                               \
        ".asciz \"" provider "\"\n"                                           \
        ".asciz \"" name "\"\n"                                               \
        ".asciz \"" args "\"\n"                                               \
        "994: .balign 4\n"                                                    \
        ".popsection\n"                                                       \
        ".ifndef _.stapsdt.base\n"                                            \
        ".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n" \
        ".weak _.stapsdt.base\n"                                              \
        ".hidden _.stapsdt.base\n"                                            \
        "_.stapsdt.base: .space 1\n"                                          \
        ".size _.stapsdt.base, 1\n"                                           \
        ".popsection\n"                                                       \
        ".endif\n"                                                            \
        : : __VA_ARGS__)

/* A marker's is-enabled counter: the kernel raises it while a tracer is attached. */
#define AUGER_SDT_SEMAPHORE(provider, name) \
    __attribute__((section(".probes"), used)) volatile unsigned short provider##_##name##_semaphore

#endif

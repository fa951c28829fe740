/*
 * bcryptprimitives.dll for Wine 8.0 (Debian 12), which has none.
 *
 * Go 1.24 and later load bcryptprimitives.dll at start-up for ProcessPrng,
 * the random source of Windows 10 and later, and abort without it ("fatal
 * error: bcryptprimitives.dll not found"). Wine 9 ships the DLL; until the
 * machines have it, scripts/wine-env puts this one into the test prefix.
 * It fills the buffer from RtlGenRandom (advapi32's SystemFunction036),
 * which Wine has. Real Windows never sees this file.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}

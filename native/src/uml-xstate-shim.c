/*
 * LD_PRELOAD shim for Debian's user-mode-linux 6.1 on hosts whose XSAVE area is larger than the
 * one UML hands to ptrace (AVX-512 / AMX hosts, e.g. this project's CI machines).
 *
 * UML restores a guest thread's FPU state with PTRACE_SETREGSET(NT_X86_XSTATE) and a buffer of
 * its own compiled size (2696 bytes). Host kernels since 5.14 accept that request only with the
 * full user XSAVE size (CPUID 0xD.0:ECX, 11008 bytes with AMX), and answer EFAULT otherwise, so
 * the guest's init dies at its first context switch ("ptrace set fp regs failed, errno = 14").
 *
 * The shim widens such a request: it reads the thread's current full state, lays UML's bytes
 * over its start (legacy area, XSAVE header, AVX and AVX-512 components) and writes the full
 * buffer. Components past UML's size (AMX tile data) keep the thread's current value; nothing in
 * the guest uses them. Requests that are already full-size pass through unchanged.
 *
 * Used only by the UML test harness (src/lab/uml.ts), which compiles it with gcc on first use.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>

#define SHIM_PTRACE_GETREGSET 0x4204
#define SHIM_PTRACE_SETREGSET 0x4205
#define SHIM_NT_X86_XSTATE 0x202

typedef long (*ptrace_fn)(int, pid_t, void *, void *);

static ptrace_fn real_ptrace;
static size_t xsave_size;
static unsigned char *wide;

static size_t host_xsave_size(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx)) return 0;
  return ecx;
}

long ptrace(int request, ...) {
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);

  if (!real_ptrace) real_ptrace = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
  if (request != SHIM_PTRACE_SETREGSET || (long)addr != SHIM_NT_X86_XSTATE) return real_ptrace(request, pid, addr, data);

  struct iovec *iov = data;
  if (!xsave_size) xsave_size = host_xsave_size();
  if (iov == NULL || xsave_size == 0 || iov->iov_len >= xsave_size) return real_ptrace(request, pid, addr, data);

  if (!wide) wide = aligned_alloc(64, (xsave_size + 63) & ~(size_t)63);
  if (!wide) {
    errno = ENOMEM;
    return -1;
  }
  struct iovec full = { wide, xsave_size };
  if (real_ptrace(SHIM_PTRACE_GETREGSET, pid, addr, &full) < 0) return -1;
  memcpy(wide, iov->iov_base, iov->iov_len);
  full.iov_len = xsave_size;
  return real_ptrace(SHIM_PTRACE_SETREGSET, pid, addr, &full);
}

/*
 * printk and ksnprintf: a small printf for the kernel.
 *
 * One formatter (format_to) writes through a "sink": either the serial
 * console or a bounded buffer. It never needs 64-bit division from libgcc:
 * numbers are converted by long division in 16-bit steps (udiv on 32 bits).
 *
 * Supported: %d %i %u %x %X %o %p %s %c %%, flags '-' '0', width (digits or
 * '*'), length l / ll / z. Anything else is printed literally.
 */
#include <kernel/printk.h>
#include <kernel/arch.h>
#include <kernel/core.h>
#include <stdint.h>
#include <stdbool.h>

struct sink {
    void (*put)(struct sink *s, char c);
    char *buf;        /* buffer sink: destination */
    size_t size;      /* buffer sink: capacity including NUL */
    size_t count;     /* characters produced so far (all sinks) */
};

struct spec {
    bool left;        /* '-' */
    bool zero;        /* '0' */
    int width;
    int length;       /* 0 = int, 1 = long, 2 = long long */
};

static void emit(struct sink *s, char c)
{
    s->put(s, c);
    s->count++;
}

static void console_put(struct sink *s, char c)
{
    (void)s;
    if (c == '\n') {
        serial_putchar('\r');
    }
    serial_putchar(c);
}

static void buffer_put(struct sink *s, char c)
{
    if (s->count + 1 < s->size) {
        s->buf[s->count] = c;
    }
}

/* Divide *value by base (2..16) in place, returning the remainder. */
static unsigned divmod64(uint64_t *value, unsigned base)
{
    uint64_t v = *value, q = 0;
    uint32_t rem = 0;
    for (int shift = 48; shift >= 0; shift -= 16) {
        uint32_t cur = (rem << 16) | (uint32_t)((v >> shift) & 0xffffu);
        q |= (uint64_t)(cur / base) << shift;
        rem = cur % base;
    }
    *value = q;
    return rem;
}

/* Write `len` chars of `str` padded to the field width (spaces; zeros are
 * handled by the caller since they go after a sign). */
static void emit_padded(struct sink *s, const struct spec *sp, const char *str, int len)
{
    int pad = sp->width > len ? sp->width - len : 0;
    if (!sp->left) {
        while (pad-- > 0) emit(s, ' ');
    }
    for (int i = 0; i < len; i++) emit(s, str[i]);
    if (sp->left) {
        while (pad-- > 0) emit(s, ' ');
    }
}

/* Format an integer: magnitude `value`, optional minus sign, in `base`. */
static void emit_number(struct sink *s, const struct spec *sp, uint64_t value,
                        bool negative, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = digits[divmod64(&value, base)];
    } while (value != 0);

    int len = n + (negative ? 1 : 0);
    if (sp->zero && !sp->left) {
        if (negative) emit(s, '-');
        for (int pad = sp->width - len; pad > 0; pad--) emit(s, '0');
        while (n > 0) emit(s, tmp[--n]);
        return;
    }
    char out[25];
    int o = 0;
    if (negative) out[o++] = '-';
    while (n > 0) out[o++] = tmp[--n];
    emit_padded(s, sp, out, o);
}

/* Read the flags, width and length of one conversion; returns the pointer
 * to the conversion character. */
static const char *parse_spec(const char *p, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){0};
    for (;; p++) {
        if (*p == '-') sp->left = true;
        else if (*p == '0') sp->zero = true;
        else break;
    }
    if (*p == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) { sp->left = true; sp->width = -sp->width; }
        p++;
    }
    while (*p >= '0' && *p <= '9') {
        sp->width = sp->width * 10 + (*p++ - '0');
    }
    if (*p == 'l') { sp->length = 1; p++; if (*p == 'l') { sp->length = 2; p++; } }
    else if (*p == 'z') { sp->length = 1; p++; }
    return p;
}

static uint64_t fetch_unsigned(const struct spec *sp, va_list *ap)
{
    if (sp->length == 2) return va_arg(*ap, unsigned long long);
    if (sp->length == 1) return va_arg(*ap, unsigned long);
    return va_arg(*ap, unsigned int);
}

static int64_t fetch_signed(const struct spec *sp, va_list *ap)
{
    if (sp->length == 2) return va_arg(*ap, long long);
    if (sp->length == 1) return va_arg(*ap, long);
    return va_arg(*ap, int);
}

/* Handle the conversion character *p for spec sp. */
static void emit_conversion(struct sink *s, char conv, struct spec *sp, va_list *ap)
{
    switch (conv) {
    case 'd': case 'i': {
        int64_t v = fetch_signed(sp, ap);
        uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        emit_number(s, sp, mag, v < 0, 10, false);
        break;
    }
    case 'u': emit_number(s, sp, fetch_unsigned(sp, ap), false, 10, false); break;
    case 'x': emit_number(s, sp, fetch_unsigned(sp, ap), false, 16, false); break;
    case 'X': emit_number(s, sp, fetch_unsigned(sp, ap), false, 16, true); break;
    case 'o': emit_number(s, sp, fetch_unsigned(sp, ap), false, 8, false); break;
    case 'p': {
        uintptr_t v = (uintptr_t)va_arg(*ap, void *);
        emit(s, '0'); emit(s, 'x');
        struct spec ps = { .zero = true, .width = 8 };
        emit_number(s, &ps, v, false, 16, false);
        break;
    }
    case 's': {
        const char *str = va_arg(*ap, const char *);
        if (str == NULL) str = "(null)";
        int len = 0;
        while (str[len] != '\0') len++;
        emit_padded(s, sp, str, len);
        break;
    }
    case 'c': {
        char c = (char)va_arg(*ap, int);
        emit_padded(s, sp, &c, 1);
        break;
    }
    case '%': emit(s, '%'); break;
    default:  emit(s, '%'); emit(s, conv); break;
    }
}

static void format_to(struct sink *s, const char *fmt, va_list ap_in)
{
    va_list ap;
    va_copy(ap, ap_in);
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            emit(s, *p);
            continue;
        }
        struct spec sp;
        p = parse_spec(p + 1, &sp, &ap);
        if (*p == '\0') {
            break;
        }
        emit_conversion(s, *p, &sp, &ap);
    }
    va_end(ap);
}

/*
 * The console lock lives in the memory every core's CPU driver shares
 * (struct kernel_shared, kernel/core.h): the one lock between kernels,
 * held for one printk or SYS_PRINT only, never across anything else.
 * Before core 0 has that memory there is only core 0.
 */
void console_lock(void)
{
    struct kernel_shared *s = kernel_shared();

    if (s != NULL) {
        arch_spin_lock(&s->console_lock);
    }
}

void console_unlock(void)
{
    struct kernel_shared *s = kernel_shared();

    if (s != NULL) {
        arch_spin_unlock(&s->console_lock);
    }
}

void vprintk(const char *fmt, va_list ap)
{
    struct sink s = { .put = console_put };

    console_lock();
    format_to(&s, fmt, ap);
    console_unlock();
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { .put = buffer_put, .buf = buf, .size = size };
    format_to(&s, fmt, ap);
    if (size > 0) {
        buf[s.count < size ? s.count : size - 1] = '\0';
    }
    return (int)s.count;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

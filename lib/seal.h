/*
 * Sealed boxes for the recovery mails (manual §3.3, issue 11 finding 6):
 * the overlay seals a mail's body to provisiond's X25519 public key, so
 * that the queue under ou=mail,ou=system, the accesslog and every replica
 * hold only a blob that provisiond alone can open.
 *
 * Format: SEAL_PREFIX followed by base64 of
 *   ephemeral X25519 public key (32) || AES-256-GCM ciphertext || tag (16)
 * key and nonce = HKDF-SHA256(X25519(ephemeral, recipient),
 *                             info = SEAL_INFO || ephemeral pub || recipient pub);
 * the additional data (the recipient's address) binds the body to it.
 *
 * Ownership: *out strings are malloc()ed, the caller free()s them. Keys
 * are the caller's (EVP_PKEY of type X25519). No I/O, no logging.
 */
#ifndef PORTAL_UM_SEAL_H
#define PORTAL_UM_SEAL_H

#include <stddef.h>

#include <openssl/evp.h>

#define SEAL_PREFIX "{X25519-AES256GCM}"

/* 0 on success; *out the NUL-terminated sealed text. */
int seal_box(char **out, EVP_PKEY *recipient, const char *aad, size_t aad_len, const char *msg,
             size_t len);

/* 0 on success; *out the NUL-terminated message (*out_len its length).
 * -1 when sealed is not a sealed box, or not for this key or this aad. */
int seal_open(char **out, size_t *out_len, EVP_PKEY *key, const char *aad, size_t aad_len,
              const char *sealed);

/* 1 when text starts with SEAL_PREFIX. */
int seal_is_sealed(const char *text);

#endif

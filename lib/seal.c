/*
 * Sealed boxes: X25519 + HKDF-SHA256 + AES-256-GCM (see seal.h), the
 * construction of HPKE's base mode (RFC 9180) without its framing.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "seal.h"

#define SEAL_INFO    "portal-um mail v1"
#define SEAL_PUB_LEN 32
#define SEAL_KEY_LEN 32
#define SEAL_IV_LEN  12
#define SEAL_TAG_LEN 16

int seal_is_sealed(const char *text)
{
	return text && strncmp(text, SEAL_PREFIX, sizeof(SEAL_PREFIX) - 1) == 0;
}

/* key || iv from the shared secret of priv and peer (one of them ephemeral). */
static int seal_derive(unsigned char out[SEAL_KEY_LEN + SEAL_IV_LEN], EVP_PKEY *priv,
                       EVP_PKEY *peer, const unsigned char eph_pub[SEAL_PUB_LEN],
                       const unsigned char rcpt_pub[SEAL_PUB_LEN])
{
	EVP_PKEY_CTX *dctx = NULL;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	unsigned char secret[64], info[sizeof(SEAL_INFO) - 1 + 2 * SEAL_PUB_LEN];
	size_t secret_len = sizeof(secret);
	OSSL_PARAM params[4];
	int rc = -1;

	if (!(dctx = EVP_PKEY_CTX_new(priv, NULL)) || EVP_PKEY_derive_init(dctx) <= 0 ||
	    EVP_PKEY_derive_set_peer(dctx, peer) <= 0 ||
	    EVP_PKEY_derive(dctx, secret, &secret_len) <= 0)
		goto cleanup;
	memcpy(info, SEAL_INFO, sizeof(SEAL_INFO) - 1);
	memcpy(info + sizeof(SEAL_INFO) - 1, eph_pub, SEAL_PUB_LEN);
	memcpy(info + sizeof(SEAL_INFO) - 1 + SEAL_PUB_LEN, rcpt_pub, SEAL_PUB_LEN);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret, secret_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info));
	params[3] = OSSL_PARAM_construct_end();
	if (!(kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) || !(kctx = EVP_KDF_CTX_new(kdf)) ||
	    EVP_KDF_derive(kctx, out, SEAL_KEY_LEN + SEAL_IV_LEN, params) <= 0)
		goto cleanup;
	rc = 0;
cleanup:
	OPENSSL_cleanse(secret, sizeof(secret));
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	EVP_PKEY_CTX_free(dctx);
	return rc;
}

static int seal_raw_public(unsigned char out[SEAL_PUB_LEN], EVP_PKEY *key)
{
	size_t len = SEAL_PUB_LEN;

	if (!key || !EVP_PKEY_is_a(key, "X25519") ||
	    EVP_PKEY_get_raw_public_key(key, out, &len) != 1 || len != SEAL_PUB_LEN)
		return -1;
	return 0;
}

int seal_box(char **out, EVP_PKEY *recipient, const char *aad, size_t aad_len, const char *msg,
             size_t len)
{
	EVP_PKEY *eph = NULL;
	EVP_CIPHER_CTX *c = NULL;
	unsigned char rcpt_pub[SEAL_PUB_LEN], kiv[SEAL_KEY_LEN + SEAL_IV_LEN], *raw = NULL;
	size_t raw_len = SEAL_PUB_LEN + len + SEAL_TAG_LEN, prefix = sizeof(SEAL_PREFIX) - 1;
	int n = 0, rc = -1;
	char *text = NULL;

	*out = NULL;
	if (seal_raw_public(rcpt_pub, recipient) || len > (size_t)0x7fffffff - 64)
		return -1;
	if (!(raw = malloc(raw_len)) || !(eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519")) ||
	    seal_raw_public(raw, eph) || seal_derive(kiv, eph, recipient, raw, rcpt_pub))
		goto cleanup;
	if (!(c = EVP_CIPHER_CTX_new()) ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, SEAL_IV_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, kiv, kiv + SEAL_KEY_LEN) != 1 ||
	    (aad_len &&
	     EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)aad, (int)aad_len) != 1) ||
	    EVP_EncryptUpdate(c, raw + SEAL_PUB_LEN, &n, (const unsigned char *)msg, (int)len) !=
	            1 ||
	    EVP_EncryptFinal_ex(c, raw + SEAL_PUB_LEN + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, raw + SEAL_PUB_LEN + len) !=
	            1)
		goto cleanup;
	if (!(text = malloc(prefix + 4 * ((raw_len + 2) / 3) + 1)))
		goto cleanup;
	memcpy(text, SEAL_PREFIX, prefix);
	EVP_EncodeBlock((unsigned char *)text + prefix, raw, (int)raw_len);
	*out = text;
	text = NULL;
	rc = 0;
cleanup:
	OPENSSL_cleanse(kiv, sizeof(kiv));
	free(text);
	free(raw);
	EVP_CIPHER_CTX_free(c);
	EVP_PKEY_free(eph);
	return rc;
}

int seal_open(char **out, size_t *out_len, EVP_PKEY *key, const char *aad, size_t aad_len,
              const char *sealed)
{
	EVP_PKEY *eph = NULL;
	EVP_CIPHER_CTX *c = NULL;
	unsigned char rcpt_pub[SEAL_PUB_LEN], kiv[SEAL_KEY_LEN + SEAL_IV_LEN], *raw = NULL;
	const char *b64;
	size_t b64_len, raw_len, len;
	char *msg = NULL;
	int n = 0, rc = -1;

	*out = NULL;
	if (!seal_is_sealed(sealed) || seal_raw_public(rcpt_pub, key))
		return -1;
	b64 = sealed + sizeof(SEAL_PREFIX) - 1;
	b64_len = strlen(b64);
	if (b64_len % 4 || b64_len > 0x7fffffff || !(raw = malloc(b64_len / 4 * 3 + 1)))
		goto cleanup;
	n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)b64_len);
	if (n < 0)
		goto cleanup;
	raw_len = (size_t)n - (b64_len && b64[b64_len - 1] == '=') -
	          (b64_len > 1 && b64[b64_len - 2] == '=');
	if (raw_len < SEAL_PUB_LEN + SEAL_TAG_LEN)
		goto cleanup;
	len = raw_len - SEAL_PUB_LEN - SEAL_TAG_LEN;
	if (!(eph = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, raw, SEAL_PUB_LEN)) ||
	    seal_derive(kiv, key, eph, raw, rcpt_pub) || !(msg = malloc(len + 1)))
		goto cleanup;
	if (!(c = EVP_CIPHER_CTX_new()) ||
	    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, SEAL_IV_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, kiv, kiv + SEAL_KEY_LEN) != 1 ||
	    (aad_len &&
	     EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)aad, (int)aad_len) != 1) ||
	    EVP_DecryptUpdate(c, (unsigned char *)msg, &n, raw + SEAL_PUB_LEN, (int)len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, raw + SEAL_PUB_LEN + len) !=
	            1 ||
	    EVP_DecryptFinal_ex(c, (unsigned char *)msg + n, &n) != 1)
		goto cleanup;
	msg[len] = '\0';
	*out = msg;
	if (out_len)
		*out_len = len;
	msg = NULL;
	rc = 0;
cleanup:
	OPENSSL_cleanse(kiv, sizeof(kiv));
	if (msg) {
		OPENSSL_cleanse(msg, len);
		free(msg);
	}
	free(raw);
	EVP_CIPHER_CTX_free(c);
	EVP_PKEY_free(eph);
	return rc;
}

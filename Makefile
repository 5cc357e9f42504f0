# portal-um: see README.md and DESIGN §6 for the targets' contract.
TOP        := $(CURDIR)
BUILD      := $(TOP)/build
OLDAP      := $(BUILD)/openldap
PYTHON     := /usr/bin/python3
CC         ?= cc
WARN       := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS     ?= -O2 -g
SAN        ?=
ALL_CFLAGS := $(CFLAGS) $(WARN) -fPIC -std=gnu11 $(SAN)

LIB_SRC    := $(wildcard lib/*.c)
LIB_OBJ    := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))
LIBRIGHTS  := $(BUILD)/lib/librights.a

OVL_SRC    := $(filter-out overlay/pwcheck.c,$(wildcard overlay/*.c))
OVL_OBJ    := $(patsubst overlay/%.c,$(BUILD)/overlay/%.o,$(OVL_SRC))
DELEGATE   := $(BUILD)/delegate.so
PWCHECK    := $(BUILD)/um_pwcheck.so
# slapd's headers are not -Wextra clean; they are system headers to us.
OVL_CFLAGS := $(CFLAGS) -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wno-missing-field-initializers -Wno-missing-braces \
	-fPIC -std=gnu11 $(SAN) -isystem $(OLDAP)/include -isystem $(OLDAP)/servers/slapd -Ilib

# provisiond(8). PROVISIOND_PURE_SRC: no I/O, also linked into the unit tests.
PROVISIOND_SRC := $(addprefix provisiond/,provisiond.c config.c log.c ldapconn.c dn.c strtab.c remoteauth.c \
	state.c project.c apply.c catalog.c reconcile.c update.c sync.c mail.c source.c)
PROVISIOND_OBJ := $(patsubst provisiond/%.c,$(BUILD)/provisiond-obj/%.o,$(PROVISIOND_SRC))
PROVISIOND_PURE_SRC := provisiond/project.c
PROVISIOND_PURE_OBJ := $(patsubst provisiond/%.c,$(BUILD)/provisiond-obj/%.o,$(PROVISIOND_PURE_SRC))
PROVISIOND := $(BUILD)/provisiond

# umctl(1): the administrators' CLI (DESIGN §6), libldap and lib's pure logic.
UMCTL_SRC  := $(wildcard umctl/*.c)
UMCTL_OBJ  := $(patsubst umctl/%.c,$(BUILD)/umctl-obj/%.o,$(UMCTL_SRC))
UMCTL      := $(BUILD)/umctl

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))

FUZZ_SRC   := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN   := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 30

.PHONY: check-rules all deps lib overlay unit integration e2e test run run-cluster stop asan fuzz bench bench-scale clean schema-ldif check-format

all: $(LIBRIGHTS) $(DELEGATE) $(PWCHECK) $(PROVISIOND) $(UMCTL)

deps: $(OLDAP)/include/ldap_config.h

$(OLDAP)/include/ldap_config.h:
	sh scripts/deps.sh

lib: $(LIBRIGHTS)

$(BUILD)/lib/%.o: lib/%.c lib/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -c -o $@ $<

$(LIBRIGHTS): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

overlay: $(DELEGATE)

$(BUILD)/overlay/%.o: overlay/%.c overlay/*.h lib/rights.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(OVL_CFLAGS) -c -o $@ $<

$(DELEGATE): $(OVL_OBJ) $(LIBRIGHTS) overlay/delegate.map
	$(CC) -shared $(SAN) -Wl,--version-script=overlay/delegate.map -o $@ $(OVL_OBJ) $(LIBRIGHTS) \
		-lyaml -lcrypto

# ppolicy's pwdCheckModule (§3.2), dlopen()ed by ppolicy on demand
$(PWCHECK): $(BUILD)/overlay/pwcheck.o $(LIBRIGHTS) overlay/pwcheck.map
	$(CC) -shared $(SAN) -Wl,--version-script=overlay/pwcheck.map -o $@ $< $(LIBRIGHTS) -lyaml

$(BUILD)/provisiond-obj/%.o: provisiond/%.c provisiond/*.h lib/rights.h lib/yaml_tree.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -c -o $@ $<

$(PROVISIOND): $(PROVISIOND_OBJ) $(LIBRIGHTS)
	$(CC) $(SAN) -o $@ $(PROVISIOND_OBJ) $(LIBRIGHTS) -lldap -llber -lyaml -lsystemd -lcurl -lcrypto

$(BUILD)/umctl-obj/%.o: umctl/%.c umctl/*.h lib/rights.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE -Ilib -c -o $@ $<

$(UMCTL): $(UMCTL_OBJ) $(LIBRIGHTS)
	$(CC) $(SAN) -o $@ $(UMCTL_OBJ) $(LIBRIGHTS) -lldap -llber

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBRIGHTS) $(PROVISIOND_PURE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -Iprovisiond -DTOP_SRCDIR='"$(TOP)"' -o $@ $< $(PROVISIOND_PURE_OBJ) \
		$(LIBRIGHTS) -lyaml -lcmocka -lcrypto

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do \
		echo "== $$t"; \
		if [ -z "$(SAN)" ]; then \
			valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite $$t; \
		else $$t; fi; \
	done

integration: all
	cd tests/integration && $(PYTHON) -m pytest -q -p no:cacheprovider .

e2e: all
	@if ls tests/e2e/test_*.py >/dev/null 2>&1; then \
		cd tests/e2e && $(PYTHON) -m pytest -q -p no:cacheprovider . ; fi

# check-format first: a formatting slip fails the run before anything is built
test: deps
	$(MAKE) check-format
	$(PYTHON) scripts/check-rules.py
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration
	$(MAKE) e2e

# The overlay and librights under ASan/UBSan, loaded into Debian's slapd
# with the sanitizer runtimes preloaded; unit and integration suites.
ASAN_RT    := $(shell $(CC) -print-file-name=libasan.so) $(shell $(CC) -print-file-name=libubsan.so)
asan: deps
	$(MAKE) BUILD=$(BUILD)/asan OLDAP=$(OLDAP) SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" CFLAGS="-O1 -g" all unit
	cd tests/integration && UM_DELEGATE_SO=$(BUILD)/asan/delegate.so \
		UM_SLAPD_PRELOAD="$(ASAN_RT)" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(PYTHON) -m pytest -q -p no:cacheprovider .

fuzz: deps
	@mkdir -p $(BUILD)/fuzz
	@set -e; for f in $(FUZZ_SRC); do \
		n=$$(basename $$f .c); \
		clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib -o $(BUILD)/fuzz/$$n $$f $(LIB_SRC) -lyaml -lcrypto; \
		mkdir -p $(BUILD)/fuzz/corpus-$$n; \
		seeds=""; [ -d fuzz/corpus/$$n ] && seeds=fuzz/corpus/$$n; \
		echo "== fuzzing $$n for $(FUZZ_SECONDS)s"; \
		$(BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $(BUILD)/fuzz/corpus-$$n $$seeds; \
	done

run: deps all
	sh scripts/run.sh start

# DESIGN §6: two providers and a read-only replica (scripts/cluster.sh)
run-cluster: deps all
	sh scripts/cluster.sh start

stop:
	sh scripts/cluster.sh stop
	[ ! -d "$${UM_RUN:-run}" ] || sh scripts/run.sh stop

bench: deps all
	sh bench/run.sh

# issue 10: 1k to 1M users on one machine (bench/scale.py; README Performance)
SIZES ?= 1000 100000 1000000
bench-scale: deps all
	sh bench/run.sh --scale $(SIZES)

schema-ldif:
	sh scripts/schema2ldif.sh > schema/um.ldif

# doc/rules.md: manual § -> DESIGN rule -> lib function -> message -> tests
check-rules:
	$(PYTHON) scripts/check-rules.py

check-format:
	clang-format --dry-run --Werror lib/*.c lib/*.h overlay/*.c overlay/*.h $(PROVISIOND_SRC) provisiond/*.h \
		umctl/*.c umctl/*.h

clean:
	rm -rf $(BUILD)/lib $(BUILD)/overlay $(BUILD)/tests $(BUILD)/fuzz $(BUILD)/asan $(BUILD)/delegate.so \
		$(BUILD)/provisiond $(BUILD)/provisiond-obj $(BUILD)/umctl $(BUILD)/umctl-obj

/* f_recipe.c — libFuzzer target: recipe files (core/recipe.h).  Whatever
 * the parser accepts is well-formed: copy sources relative and below the
 * recipe's folder, destinations absolute, no '..' anywhere in a path, no
 * control character in any word, modes in range, a step that prints back. */
#include "core/recipe.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
has_dotdot(const char *p)
{
	const char *c;
	for (c = p; (c = strstr(c, "..")) != NULL; c += 2)
		if ((c == p || c[-1] == '/') && (c[2] == '/' || c[2] == '\0'))
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioc_recipe r;
	struct ioc_error *e = NULL;
	size_t i, k;
	if (ioc_recipe_parse((const char *)data, size, &r, &e) != 0) {
		ioc_error_free(e);
		return 0;
	}
	for (i = 0; i < r.nsteps; i++) {
		const struct ioc_recipe_step *s = &r.steps[i];
		char id[17];
		char *str = ioc_recipe_step_str(s);
		for (k = 0; k < s->words.n; k++)
			if (ioc_has_ctrl(s->words.v[k]))
				__builtin_trap();
		if (s->kind == IOC_RS_COPY && (s->words.v[0][0] == '/' ||
		    has_dotdot(s->words.v[0]) || s->words.v[1][0] != '/' ||
		    has_dotdot(s->words.v[1]) || s->mode > 07777 || s->owner[0] == '-'))
			__builtin_trap();
		if (s->kind == IOC_RS_PKG && s->words.v[0][0] == '-')
			__builtin_trap();
		ioc_recipe_step_id(s, NULL, id);
		if (strlen(id) != 16 || strlen(str) == 0)
			__builtin_trap();
		free(str);
	}
	for (i = 0; i < r.mounts.n; i++)
		if (r.mounts.v[i][0] == '/' || has_dotdot(r.mounts.v[i]) || ioc_has_ctrl(r.mounts.v[i]))
			__builtin_trap();
	ioc_recipe_release(&r);
	return 0;
}

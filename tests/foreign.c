/* foreign.c: a real shared module that is not a cnnfilt plugin, for
 * test-registry: the loader must skip it with a warning naming it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gmodule.h>

G_MODULE_EXPORT int foreign_answer (void);

G_MODULE_EXPORT int
foreign_answer (void)
{
  return 42;
}

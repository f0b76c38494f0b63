/*
 * tree: removing a test's temporary directory tree (a file:// spool), for the
 * unit tests. Failures are cmocka failures: a tree a test cannot remove is a
 * bug of the test or of the store.
 */
#ifndef HS_TEST_TREE_H
#define HS_TEST_TREE_H

/* Removes path and everything below it (links are removed, not followed); a missing
 * path is no error. */
void tree_remove(const char *path);

/* Removes everything below the directory path, keeping the directory itself. */
void tree_empty(const char *path);

#endif

/* testprogs/true: exits 0, whatever its arguments (tests read them at execve). */
int main(void) { return 0; }

/* nop: the minimal program (spawn benchmarks): returns 0 at once. */
int main(void)
{
    return 0;
}

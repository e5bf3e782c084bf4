// How much slower a multiply-add is with a subnormal operand (docs/higher-accuracy.md, the
// Fashion-MNIST search stopped on 2026-12-07). Not part of the build; thread CPU time:
//   gcc -O2 scripts/bench-subnormal.c -o /tmp/bench-subnormal && /tmp/bench-subnormal
#include <stdio.h>
#include <time.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec*1e-9;}
__attribute__((target("avx512f")))
static float run(float bval, float aval, long iters){
  __m512 acc[8]; for(int i=0;i<8;i++) acc[i]=_mm512_setzero_ps();
  __m512 a=_mm512_set1_ps(aval), b=_mm512_set1_ps(bval);
  for(long k=0;k<iters;k++) for(int i=0;i<8;i++) acc[i]=_mm512_fmadd_ps(a,b,acc[i]);
  float s=0; for(int i=0;i<8;i++) s+=_mm512_reduce_add_ps(acc[i]); return s;}
int main(){ long n=20000000;
  struct {const char*name; float a,b;} cases[]={{"normal x normal",0.5f,1e-3f},{"zero x subnormal",0.0f,1e-40f},{"normal x subnormal",0.5f,1e-40f},{"normal x normal, subnormal product",1e-20f,1e-20f}};
  for(int c=0;c<4;c++){double t=now(); float s=run(cases[c].b,cases[c].a,n); double e=now()-t; printf("%-38s %.3f s (%.2f ns per 8 FMAs) %g\n",cases[c].name,e,e/n*1e9,s);} }

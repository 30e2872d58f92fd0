import {
  Injectable,
  NotFoundException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { map, type Observable } from 'rxjs';

/**
 * Answers 404 when a product route resolves `null`: the catalog has no such product, whether
 * it said so just now or the cache remembers it said so.
 */
@Injectable()
export class ProductNotFoundInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { params } = context.switchToHttp().getRequest<{ params: Record<string, string> }>();
    return next.handle().pipe(
      map((product: unknown) => {
        if (product === null)
          throw new NotFoundException(`No product ${JSON.stringify(params['id'])}`);
        return product;
      }),
    );
  }
}

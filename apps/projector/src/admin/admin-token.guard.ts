import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '@app/http-platform';
import { adminConfig, type AdminOptions } from './admin.config';

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`: 401 without it, 403 with another token. The token is
 * compared through fixed-length digests with timingSafeEqual, so the time taken says nothing
 * about how much of a guess was right, nor about the token's length.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(adminConfig.KEY) options: AdminOptions) {
    this.expected = digest(options.token);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const header = http.getRequest<FastifyRequest>().headers.authorization;
    const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
    if (!match) {
      void http.getResponse<FastifyReply>().header('www-authenticate', 'Bearer');
      throw new ApiError(
        401,
        'ADMIN_TOKEN_MISSING',
        'Authorization: Bearer <admin token> is required',
      );
    }
    if (!timingSafeEqual(digest(match[1]), this.expected)) {
      throw new ApiError(403, 'ADMIN_TOKEN_INVALID', 'The admin token is not valid');
    }
    return true;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

import { Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * Where the key material of each new generation comes from.
 *
 * `generated()` (the default) makes 32 random bytes inside the rotation
 * function. `fromFunction()` asks a function of yours (for example one
 * in front of an on-premises HSM) to wrap material it holds to the public
 * key KMS hands out: the plaintext never enters this library's functions.
 * See "Bring your own material" in the README and docs/material-provider.md.
 */
export class KeyMaterialSource {
  /**
   * 32 random bytes made by the rotation (or, for generation 1, the
   * lifecycle) function and wrapped there; the plaintext is zeroed after
   * the import.
   */
  public static generated(): KeyMaterialSource {
    return new KeyMaterialSource(undefined);
  }

  /**
   * The material a function of yours returns, already wrapped to the public
   * key of the import (docs/material-provider.md defines the request and
   * the answer; docs/material-provider.schema.json is their JSON Schema).
   * The rotation and lifecycle functions get `lambda:InvokeFunction` on
   * exactly this function's ARN.
   *
   * The function must be in the stack's Region. A function of another
   * account must allow both roles in its resource policy.
   *
   * @param fn the provider function, invoked synchronously during the import phase
   */
  public static fromFunction(fn: lambda.IFunction): KeyMaterialSource {
    return new KeyMaterialSource(fn);
  }

  private constructor(private readonly fn: lambda.IFunction | undefined) {}

  /**
   * The custom resource property (read by the functions' settings parser);
   * none for generated, so templates of stacks that do not set the prop stay as they were.
   * @internal
   */
  public _property(scope: Construct): string | undefined {
    if (!this.fn) return undefined;
    return Stack.of(scope).toJsonString({ type: 'function', functionArn: this.fn.functionArn });
  }

  /**
   * The ARN the functions' roles may invoke (fromFunction only).
   * @internal
   */
  public _functionArn(): string | undefined {
    return this.fn?.functionArn;
  }

  /**
   * Synth-time problems of the source for a key group in `scope`'s stack.
   * @internal
   */
  public _problems(scope: Construct): string[] {
    if (!this.fn) return [];
    const stack = Stack.of(scope);
    const region = this.fn.env.region;
    if (!Token.isUnresolved(region) && !Token.isUnresolved(stack.region) && region !== stack.region) {
      return [`material: KeyMaterialSource.fromFunction() needs a function in the stack's Region ${stack.region}; ${this.fn.node.path} is in ${region}`];
    }
    return [];
  }

  /**
   * Whether the function is in another account than `scope`'s stack (its resource policy must then allow the roles).
   * @internal
   */
  public _crossAccount(scope: Construct): boolean {
    if (!this.fn) return false;
    const account = this.fn.env.account;
    const stackAccount = Stack.of(scope).account;
    return !Token.isUnresolved(account) && !Token.isUnresolved(stackAccount) && account !== stackAccount;
  }
}

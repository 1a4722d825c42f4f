// The AWS SDK warns on every start that its future releases need Node 22: noise for CLI users,
// and it would land in the stderr of every `--json` command. The SDK's own switch turns it off.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};

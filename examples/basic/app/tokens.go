package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

// tokenSource gives the password of a new database connection under IAM database
// authentication (DB_IAM_AUTH=true). The pool asks it once for every connection it opens.
type tokenSource interface {
	// Token returns a token for user at endpoint (host:port, the database's or the RDS
	// Proxy's, as the app connects to it).
	Token(ctx context.Context, endpoint, user string) (string, error)
}

// rdsTokens signs IAM authentication tokens locally (SigV4, service rds-db) with
// credentials from the AWS SDK's default chain: on ECS, the task role's, from the
// container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI); no AWS API
// is called and no VPC endpoint is needed. A token is valid for 15 minutes
// (X-Amz-Expires=900) and only at connection time: see
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Connecting.html
type rdsTokens struct {
	region string
	// creds caches the credentials and refreshes them before they expire.
	creds aws.CredentialsProvider
}

// newRDSTokens loads the default credential chain for region. It makes no network call:
// credentials are fetched at the first token.
func newRDSTokens(ctx context.Context, region string) (*rdsTokens, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for IAM database authentication: %w", err)
	}
	return &rdsTokens{region: region, creds: cfg.Credentials}, nil
}

func (r *rdsTokens) Token(ctx context.Context, endpoint, user string) (string, error) {
	if r.creds == nil {
		return "", fmt.Errorf("no AWS credentials found (on ECS: the task role)")
	}
	return auth.BuildAuthToken(ctx, endpoint, r.region, user, r.creds)
}
